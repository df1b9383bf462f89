package graph

import (
	"context"
	"reflect"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/codes"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// CodeContractDrift marks a field the Aspire API no longer sends where the
// active contract says it does (see aspire_contract_drift_total and doctor).
const CodeContractDrift = codes.ContractDrift

type gqlField struct{ object, field string }
type recordField struct{ rec, field string }

// recordFields maps the GraphQL fields read straight off an upstream record
// to the record type and field of the contract (aspire/contract.RecordFields).
// Relations and computed fields are left out: they are not one wire field.
// Handles are optional on the wire (a member has no account on most
// networks), so they are never drift.
var recordFields = map[gqlField]recordField{}

func init() {
	for obj, m := range map[string]map[string]string{
		"Post": {"id": "id", "network": "network", "type": "post_type", "mentionSource": "mention_source", "status": "status",
			"url": "url", "caption": "caption", "thumbnailUrl": "thumbnail_url", "postedAt": "posted_at", "estimated": "is_estimated", "metrics": "metrics"},
		"Member": {"id": "id", "name": "name", "email": "email", "handles": "handles"},
		"Metrics": {"impressions": "impressions", "reach": "reach", "views": "views", "viewTimeSeconds": "view_time_seconds", "likes": "likes",
			"comments": "comments", "shares": "shares", "saves": "saves", "clicks": "clicks", "engagements": "engagements",
			"engagementRate": "engagement_rate", "tmv": "tmv"},
		"Project": {"id": "id", "name": "name", "status": "status", "createdAt": "created_at", "memberCount": "member_count"},
		"Group":   {"id": "id", "name": "name", "memberCount": "member_count"},
	} {
		rec := map[string]string{"Post": "post", "Member": "member", "Metrics": "metrics", "Project": "project", "Group": "group"}[obj]
		for f, w := range m {
			recordFields[gqlField{obj, f}] = recordField{rec, w}
		}
	}
}

// driftError returns the error for a field whose value is contract drift, or
// nil: the field is read off a record, the client's latest sample of the
// upstream lacked it, and the value is null or the zero a missing field
// decodes to (a value means this record did carry it). resolveField calls it
// only while aspire.Drifting(), so without drift it costs nothing.
func driftError(ctx context.Context, fc *graphql.FieldContext, res any) error {
	rf, ok := recordFields[gqlField{fc.Object, fc.Field.Name}]
	if !ok {
		return nil
	}
	if unreadable(fc, rf) {
		return &gqlerror.Error{
			Message:    "the Aspire API sent a value of " + rf.rec + "." + rf.field + " that could not be read, so it is null here (contract drift: see aspire_contract_drift_total)",
			Extensions: map[string]any{"code": CodeContractDrift},
		}
	}
	l := loaders.For(ctx)
	if l == nil || l.Tenant() == nil || !l.Tenant().Missing(rf.rec, rf.field) {
		return nil
	}
	if res != nil {
		if v := reflect.ValueOf(res); !v.IsZero() {
			return nil
		}
	}
	return &gqlerror.Error{
		Message:    "the Aspire API no longer sends " + rf.rec + "." + rf.field + " where the contract says it does (contract drift: see aspire_contract_drift_total, run doctor)",
		Extensions: map[string]any{"code": CodeContractDrift},
	}
}

// unreadable reports whether the record the field is read off (its parent's
// result) had the field's value sent but unreadable: the client nulled it
// and set its bit in the record's Unreadable mask.
func unreadable(fc *graphql.FieldContext, rf recordField) bool {
	if fc.Parent == nil {
		return false
	}
	var mask uint64
	switch r := fc.Parent.Result.(type) {
	case aspire.Metrics:
		mask = r.Unreadable
	case *aspire.Metrics:
		mask = r.Unreadable
	case **aspire.Post:
		mask = (*r).Unreadable
	case *aspire.Post:
		mask = r.Unreadable
	case **aspire.Member:
		mask = (*r).Unreadable
	case *aspire.Member:
		mask = r.Unreadable
	case **aspire.Project:
		mask = (*r).Unreadable
	case *aspire.Project:
		mask = r.Unreadable
	case **aspire.Group:
		mask = (*r).Unreadable
	case *aspire.Group:
		mask = r.Unreadable
	}
	if mask == 0 {
		return false
	}
	i := slices.Index(contract.RecordFields[rf.rec], rf.field)
	return i >= 0 && mask&(1<<i) != 0
}
