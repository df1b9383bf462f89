package loaders

import (
	"context"
	"encoding/json"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/aspire-graphql/aspire-graphql/report"
)

// report loads roll-ups (package report) by slice id and request: the
// slices of one request (report.Request without IDs, as Args) that one tick
// asks for are planned together, so six projects' roll-ups can share one
// paging of their posts.
func (l *Loaders) report(ctx context.Context, keys []Key) []*dataloader.Result[*report.Result] {
	out := make([]*dataloader.Result[*report.Result], len(keys))
	forEachGroup(keys, func(k Key) string { return k.Args }, func(args string, idx []int) {
		var req report.Request
		if err := json.Unmarshal([]byte(args), &req); err != nil {
			fill(out, idx, err)
			return
		}
		req.IDs = make([]string, len(idx))
		for j, i := range idx {
			req.IDs[j] = keys[i].ID
		}
		res, err := report.Run(ctx, l.tenant, req)
		if err != nil {
			fill(out, idx, err)
			return
		}
		for j, i := range idx {
			out[i] = &dataloader.Result[*report.Result]{Data: res[j]}
		}
	})
	return out
}
