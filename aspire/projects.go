package aspire

import (
	"context"
	"iter"
	"net/url"

	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// ListQuery pages through projects or groups.
type ListQuery struct {
	Offset int
	Limit  int // 0: the upstream's default (100); at most 500
}

// Projects fetches one page of the workspace's projects.
func (t *Tenant) Projects(ctx context.Context, q ListQuery) (*Page[Project], error) {
	if !t.c.wf.c.HasEndpoint(wire.PathProjects) {
		refs, partial, err := t.derivedRefs(ctx, "project")
		if err != nil {
			return nil, err
		}
		return derivedPage(refs, partial, q, projectOf)
	}
	return list[Project](ctx, t, wire.PathProjects, url.Values{}, q.Offset, q.Limit, true)
}

// ProjectPages yields every page of projects.
func (t *Tenant) ProjectPages(ctx context.Context, q ListQuery) iter.Seq2[*Page[Project], error] {
	return pages[Project](ctx, t, wire.PathProjects, url.Values{}, q.Offset, q.Limit)
}

// AllProjects returns every project of the workspace.
func (t *Tenant) AllProjects(ctx context.Context) ([]Project, error) {
	if !t.c.wf.c.HasEndpoint(wire.PathProjects) {
		return allPages(ctx, t.Projects)
	}
	return collect(t.ProjectPages(ctx, ListQuery{}))
}

// Project fetches one project.
func (t *Tenant) Project(ctx context.Context, id string) (*Project, error) {
	if !t.c.wf.c.HasEndpoint(wire.PathProjects) {
		refs, partial, err := t.derivedRefs(ctx, "project")
		if err != nil {
			return nil, err
		}
		return derivedOne(refs, partial, id, wire.PathProjects, projectOf)
	}
	return one[Project](ctx, t, wire.PathProjects, id, url.Values{})
}

// ProjectsByID looks projects up by id, in batches of MaxIDs.
func (t *Tenant) ProjectsByID(ctx context.Context, ids []string) (map[string]Project, error) {
	if !t.c.wf.c.HasEndpoint(wire.PathProjects) {
		refs, partial, err := t.derivedRefs(ctx, "project")
		if err != nil {
			return nil, err
		}
		return derivedByID(refs, partial, ids, projectOf)
	}
	return byID[Project](ctx, t, wire.PathProjects, wire.ParamProjectID, ids, url.Values{})
}

// Groups fetches one page of the workspace's groups.
func (t *Tenant) Groups(ctx context.Context, q ListQuery) (*Page[Group], error) {
	if !t.c.wf.c.HasEndpoint(wire.PathGroups) {
		refs, partial, err := t.derivedRefs(ctx, "group")
		if err != nil {
			return nil, err
		}
		return derivedPage(refs, partial, q, groupOf)
	}
	return list[Group](ctx, t, wire.PathGroups, url.Values{}, q.Offset, q.Limit, true)
}

// GroupPages yields every page of groups.
func (t *Tenant) GroupPages(ctx context.Context, q ListQuery) iter.Seq2[*Page[Group], error] {
	return pages[Group](ctx, t, wire.PathGroups, url.Values{}, q.Offset, q.Limit)
}

// AllGroups returns every group of the workspace.
func (t *Tenant) AllGroups(ctx context.Context) ([]Group, error) {
	if !t.c.wf.c.HasEndpoint(wire.PathGroups) {
		return allPages(ctx, t.Groups)
	}
	return collect(t.GroupPages(ctx, ListQuery{}))
}

// Group fetches one group.
func (t *Tenant) Group(ctx context.Context, id string) (*Group, error) {
	if !t.c.wf.c.HasEndpoint(wire.PathGroups) {
		refs, partial, err := t.derivedRefs(ctx, "group")
		if err != nil {
			return nil, err
		}
		return derivedOne(refs, partial, id, wire.PathGroups, groupOf)
	}
	return one[Group](ctx, t, wire.PathGroups, id, url.Values{})
}

// GroupsByID looks groups up by id, in batches of MaxIDs.
func (t *Tenant) GroupsByID(ctx context.Context, ids []string) (map[string]Group, error) {
	if !t.c.wf.c.HasEndpoint(wire.PathGroups) {
		refs, partial, err := t.derivedRefs(ctx, "group")
		if err != nil {
			return nil, err
		}
		return derivedByID(refs, partial, ids, groupOf)
	}
	return byID[Group](ctx, t, wire.PathGroups, wire.ParamGroupID, ids, url.Values{})
}

// CheckKey makes the one cheap call that tells whether the upstream accepts
// t's key: a one-row page of projects where the contract has the endpoint,
// otherwise a one-row page of today's posts. (Without /v1/projects a page
// of projects is built from every page of members over two years: no key
// check.) Cached like any other call.
func (t *Tenant) CheckKey(ctx context.Context) error {
	if t.c.wf.c.HasEndpoint(wire.PathProjects) {
		_, err := t.Projects(ctx, ListQuery{Limit: 1})
		return err
	}
	today := DateOf(t.c.cfg.now().UTC())
	_, err := t.Posts(ctx, PostQuery{Filter: Filter{Range: Range{Start: today, End: today}}, Limit: 1})
	return err
}

// allPages asks page for every page of derived projects or groups (no
// endpoint to page: each page is cut from the members' listing), 500 at a
// time, and stops at the first page whose total is unknown (the budget
// ended the listing), returning what it has with that error.
func allPages[T any](ctx context.Context, page func(context.Context, ListQuery) (*Page[T], error)) ([]T, error) {
	p, err := page(ctx, ListQuery{Limit: MaxLimit})
	if err != nil {
		return nil, err
	}
	all := p.Items
	for p.HasMore && p.TotalErr == nil {
		if p, err = page(ctx, ListQuery{Offset: p.Offset + p.Rows, Limit: MaxLimit}); err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
	}
	return all, p.TotalErr
}
