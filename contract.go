package main

import (
	"io"

	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/config"
)

// contractCommand prints the contract the server would speak, in the file
// format: the built-in one, or -contract FILE's with the built-in values
// it does not override. It is the starting point of a contract file.
func contractCommand(name string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := config.Load(name, args, getenv, stderr)
	if err != nil {
		return err
	}
	c := cfg.Contract
	if c == nil {
		c = contract.Default()
	}
	_, err = stdout.Write(c.Marshal())
	return err
}
