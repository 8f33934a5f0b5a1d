// GitHub App installation access tokens as managed infrastructure: scoped, renewed before they expire, revoked on destroy, always secret.
package githubapptoken
