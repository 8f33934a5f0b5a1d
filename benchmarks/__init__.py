"""`make bench`: our token mint and our stacks, side by side with the peers (see README.md)."""
