module github.com/aspire-graphql/aspire-graphql

go 1.26.8

require (
	github.com/maypok86/otter/v2 v2.4.0
	golang.org/x/time v0.16.0
)
