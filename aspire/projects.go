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
	return list[Project](ctx, t, wire.PathProjects, url.Values{}, q.Offset, q.Limit, true)
}

// ProjectPages yields every page of projects.
func (t *Tenant) ProjectPages(ctx context.Context, q ListQuery) iter.Seq2[*Page[Project], error] {
	return pages[Project](ctx, t, wire.PathProjects, url.Values{}, q.Offset, q.Limit)
}

// AllProjects returns every project of the workspace.
func (t *Tenant) AllProjects(ctx context.Context) ([]Project, error) {
	return collect(t.ProjectPages(ctx, ListQuery{}))
}

// Project fetches one project.
func (t *Tenant) Project(ctx context.Context, id string) (*Project, error) {
	return one[Project](ctx, t, wire.PathProjects, id, url.Values{})
}

// ProjectsByID looks projects up by id, in batches of MaxIDs.
func (t *Tenant) ProjectsByID(ctx context.Context, ids []string) (map[string]Project, error) {
	return byID[Project](ctx, t, wire.PathProjects, wire.ParamProjectID, ids, url.Values{})
}

// Groups fetches one page of the workspace's groups.
func (t *Tenant) Groups(ctx context.Context, q ListQuery) (*Page[Group], error) {
	return list[Group](ctx, t, wire.PathGroups, url.Values{}, q.Offset, q.Limit, true)
}

// GroupPages yields every page of groups.
func (t *Tenant) GroupPages(ctx context.Context, q ListQuery) iter.Seq2[*Page[Group], error] {
	return pages[Group](ctx, t, wire.PathGroups, url.Values{}, q.Offset, q.Limit)
}

// AllGroups returns every group of the workspace.
func (t *Tenant) AllGroups(ctx context.Context) ([]Group, error) {
	return collect(t.GroupPages(ctx, ListQuery{}))
}

// Group fetches one group.
func (t *Tenant) Group(ctx context.Context, id string) (*Group, error) {
	return one[Group](ctx, t, wire.PathGroups, id, url.Values{})
}

// GroupsByID looks groups up by id, in batches of MaxIDs.
func (t *Tenant) GroupsByID(ctx context.Context, ids []string) (map[string]Group, error) {
	return byID[Group](ctx, t, wire.PathGroups, wire.ParamGroupID, ids, url.Values{})
}
