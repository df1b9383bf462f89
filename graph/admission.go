package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/aspire-graphql/aspire-graphql/admission"
	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// Admission is the gqlgen extension that runs each operation through the
// gate (package admission) in AroundResponses, after parsing, validation
// and the limits: it names the tenant (the key fingerprint, only when the
// gate keeps shares), and hands the running execution to the client as its
// wait hook, so an execution waiting on the upstream lends its CPU slot.
// An operation whose request ends before its turn is answered CANCELLED or
// DEADLINE_EXCEEDED without running. server installs it (srv.Use) right
// after NewHandler, where NewHandler used to: the same place among the
// extensions.
func Admission(g *admission.Gate) graphql.HandlerExtension { return admitted{g} }

type admitted struct{ gate *admission.Gate }

func (admitted) ExtensionName() string { return "Admission" }

func (admitted) Validate(graphql.ExecutableSchema) error { return nil }

func (a admitted) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	id := ""
	if a.gate.KeepsShares() {
		if l := loaders.For(ctx); l != nil {
			id = l.Tenant().ID()
		}
	}
	run, ok := a.gate.Enter(ctx, id)
	if !ok {
		return notAdmitted(ctx)
	}
	defer run.Done()
	return next(aspire.WithWaiter(ctx, run))
}

func notAdmitted(ctx context.Context) *graphql.Response {
	code, msg := "CANCELLED", "the request ended before it could run"
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		code, msg = CodeDeadlineExceeded, "the request's deadline passed while it waited for a turn to run"
	}
	return &graphql.Response{Errors: gqlerror.List{{Message: msg, Extensions: map[string]any{"code": code}}}}
}
