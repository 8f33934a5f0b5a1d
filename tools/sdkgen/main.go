// Command sdkgen makes this package's SDKs from its schema with Pulumi's own code generators
// (github.com/pulumi/pulumi/pkg/v3): the ones `pulumi package gen-sdk` runs inside each
// language host. Those hosts are not on the Go module proxy; the generators are.
//
//	sdkgen generate -schema provider/github_app_token/plugin/schema.json -out sdk
//	sdkgen goproxy -dir sdk/go -version 0.1.0 -out dist/goproxy
//
// generate replaces each language's directory under -out (sdk/go keeps go.mod and go.sum once
// `go mod tidy` has written them), and stamps the `${VERSION}` placeholder with the schema's
// version. goproxy
// packs the Go SDK as a module proxy serves it (GOPROXY=file://...), so a program can require
// it by version, as it will once the tag is pushed.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// The generated header names this tool rather than the pulumi CLI.
const tool = "sdkgen (tools/sdkgen)"

// pulumiGoSDK is the github.com/pulumi/pulumi/sdk/v3 version the Go SDK requires.
const pulumiGoSDK = "v3.274.1"

// refuseOutside is the schema loader: this package references no other, and the generators
// must never fetch one (a nil loader panics, a real one would download plugins).
type refuseOutside struct{}

func refuse(name string) error {
	return fmt.Errorf("the schema references package %q: only local types are allowed", name)
}

func (refuseOutside) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, refuse(pkg)
}

func (refuseOutside) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, refuse(d.Name)
}

func (refuseOutside) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, refuse(pkg)
}

func (refuseOutside) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, refuse(d.Name)
}

// bind validates the schema and binds a fresh package (generators annotate the one they get).
func bind(spec schema.PackageSpec) (*schema.Package, error) {
	pkg, diags, err := schema.BindSpec(spec, refuseOutside{}, schema.ValidationOptions{})
	if err == nil && diags.HasErrors() {
		err = diags
	}
	return pkg, err
}

// generate returns each language's files, keyed by their path under -out.
func generate(spec schema.PackageSpec) (map[string][]byte, error) {
	readme := []byte(fmt.Sprintf("# %s\n\n%s\n\nSee %s.\n", spec.DisplayName, spec.Description, spec.Homepage))
	generators := []struct {
		dir string
		gen func(*schema.Package) (map[string][]byte, error)
	}{
		{"nodejs", func(pkg *schema.Package) (map[string][]byte, error) {
			return nodejs.GeneratePackage(tool, pkg, nil, nil, false, refuseOutside{})
		}},
		{"python", func(pkg *schema.Package) (map[string][]byte, error) {
			return python.GeneratePackage(tool, pkg, nil, refuseOutside{})
		}},
		{"go", func(pkg *schema.Package) (map[string][]byte, error) {
			return gogen.GeneratePackage(tool, pkg, nil)
		}},
	}
	all := map[string][]byte{filepath.Join("python", "README.md"): readme}
	for _, g := range generators {
		pkg, err := bind(spec) // each generator annotates the package it gets: a fresh one each
		if err != nil {
			return nil, err
		}
		files, err := g.gen(pkg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", g.dir, err)
		}
		for name, body := range files {
			all[filepath.Join(g.dir, name)] = body
		}
	}
	pyproject := filepath.Join("python", "pyproject.toml")
	fixed, err := spdxLicense(string(all[pyproject]))
	if err != nil {
		return nil, err
	}
	all[pyproject] = []byte(fixed)
	goMod, err := goModFile(spec)
	if err != nil {
		return nil, err
	}
	all[filepath.Join("go", "go.mod")] = goMod
	return all, nil
}

// spdxLicense turns the python generator's `[project.license] text = ...` table, which
// setuptools >= 77 warns is deprecated on every build, into the SPDX string form.
func spdxLicense(pyproject string) (string, error) {
	const table, build = "  [project.license]\n    text = ", `requires = ["setuptools>=61.0"]`
	start := strings.Index(pyproject, table)
	if start < 0 || !strings.Contains(pyproject, build) {
		return "", fmt.Errorf("python: the generated pyproject.toml changed shape; update spdxLicense")
	}
	end := start + strings.Index(pyproject[start:], "\"\n") + 2
	value := pyproject[start+len(table) : end]
	pyproject = pyproject[:start] + "  license = " + value + pyproject[end:]
	return strings.Replace(pyproject, build, `requires = ["setuptools>=77"]`, 1), nil
}

// goModFile is the Go SDK's first go.mod: the schema's module path, this repository's Pulumi
// SDK. `go mod tidy` completes it and writes go.sum.
func goModFile(spec schema.PackageSpec) ([]byte, error) {
	var info gogen.GoPackageInfo
	if raw, ok := spec.Language["go"]; ok {
		if err := json.Unmarshal(raw, &info); err != nil {
			return nil, err
		}
	}
	if info.ModulePath == "" {
		return nil, fmt.Errorf("the schema needs language.go.modulePath")
	}
	return []byte(fmt.Sprintf("module %s\n\ngo 1.25\n\nrequire github.com/pulumi/pulumi/sdk/v3 %s\n",
		info.ModulePath, pulumiGoSDK)), nil
}

// write replaces each language's directory under out with files, the version stamped in.
func write(out, version string, files map[string][]byte) error {
	for _, lang := range []string{"nodejs", "python"} {
		if err := os.RemoveAll(filepath.Join(out, lang)); err != nil {
			return err
		}
	}
	goDir := filepath.Join(out, "go")
	entries, _ := os.ReadDir(goDir)
	for _, e := range entries {
		if e.Name() == "go.mod" || e.Name() == "go.sum" {
			delete(files, filepath.Join("go", e.Name())) // `go mod tidy` keeps them from now on
			continue
		}
		if err := os.RemoveAll(filepath.Join(goDir, e.Name())); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		body := strings.ReplaceAll(string(files[name]), "${VERSION}", version)
		path := filepath.Join(out, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func generateCmd(args []string) error {
	flags := flag.NewFlagSet("generate", flag.ExitOnError)
	schemaPath := flags.String("schema", "", "the package schema (JSON)")
	out := flags.String("out", "sdk", "the directory that receives nodejs/, python/ and go/")
	_ = flags.Parse(args)
	if *schemaPath == "" {
		return fmt.Errorf("generate: -schema is required")
	}
	return generateSDKs(*schemaPath, *out)
}

func generateSDKs(schemaPath, out string) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	if _, err := semver.Parse(spec.Version); err != nil {
		return fmt.Errorf("%s: the schema's version: %w", schemaPath, err)
	}
	files, err := generate(spec)
	if err != nil {
		return err
	}
	return write(out, spec.Version, files)
}

// goproxyCmd writes <out>/<module>/@v/{list,vX.info,vX.mod,vX.zip} for the module in -dir.
func goproxyCmd(args []string) error {
	flags := flag.NewFlagSet("goproxy", flag.ExitOnError)
	dir := flags.String("dir", "sdk/go", "the module's directory (holds go.mod)")
	version := flags.String("version", "", "the module version, e.g. 0.1.0")
	out := flags.String("out", "", "the proxy directory to write")
	_ = flags.Parse(args)
	if *version == "" || *out == "" {
		return fmt.Errorf("goproxy: -version and -out are required")
	}
	goMod, err := os.ReadFile(filepath.Join(*dir, "go.mod"))
	if err != nil {
		return err
	}
	mod := module.Version{Path: modfile.ModulePath(goMod), Version: "v" + strings.TrimPrefix(*version, "v")}
	if err := module.Check(mod.Path, mod.Version); err != nil {
		return err
	}
	escaped, err := module.EscapePath(mod.Path)
	if err != nil {
		return err
	}
	at := filepath.Join(*out, escaped, "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		return err
	}
	zipFile, err := os.Create(filepath.Join(at, mod.Version+".zip"))
	if err != nil {
		return err
	}
	if err := zip.CreateFromDir(zipFile, mod, *dir); err != nil {
		zipFile.Close()
		return err
	}
	if err := zipFile.Close(); err != nil {
		return err
	}
	info := fmt.Sprintf("{\"Version\":%q,\"Time\":%q}\n", mod.Version, time.Now().UTC().Format(time.RFC3339))
	for name, body := range map[string][]byte{
		mod.Version + ".mod":  goMod,
		mod.Version + ".info": []byte(info),
		"list":                []byte(mod.Version + "\n"),
	} {
		if err := os.WriteFile(filepath.Join(at, name), body, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	commands := map[string]func([]string) error{"generate": generateCmd, "goproxy": goproxyCmd}
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: sdkgen generate -schema FILE -out DIR | sdkgen goproxy -dir DIR -version V -out DIR")
		os.Exit(2)
	}
	if err := commands[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "sdkgen: %v\n", err)
		os.Exit(1)
	}
}
