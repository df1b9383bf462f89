module github.com/aspire-graphql/aspire-graphql

go 1.26.8

require (
	github.com/maypok86/otter/v2 v2.4.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)
