"""Registry pages: parse input, call one selector or service, render (DESIGN.md)."""
