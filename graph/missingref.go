package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// withoutMember replaces the error of each post the upstream sent without
// a member_id (the loader's "record  not found", naming no record) by one
// that says what is missing. Such a post breaks the contract: every post
// has its creator.
func withoutMember(posts []*aspire.Post, err error) error {
	for i, p := range posts {
		if p.MemberID != "" {
			continue
		}
		errs, ok := err.(graphql.BatchErrorList)
		if !ok {
			if err != nil {
				return err // the whole batch failed
			}
			errs = make(graphql.BatchErrorList, len(posts))
			err = errs
		}
		errs[i] = &aspire.Error{Code: aspire.CodeContract,
			Message: "post " + p.ID + " has no member_id: the Aspire API sent it without its creator"}
	}
	return err
}
