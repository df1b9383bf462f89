package aspiretest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// Sizes are the dimensions of a generated workspace.
type Sizes struct {
	Projects, Groups, Members, Posts int
	// Posts are spread over First…Last, both included.
	First, Last aspire.Date
}

// DefaultSizes is the demo workspace: about what a mid-size brand has.
var DefaultSizes = Sizes{
	Projects: 8, Groups: 20, Members: 400, Posts: 20_000,
	First: aspire.NewDate(2025, 1, 1), Last: aspire.NewDate(2026, 12, 31),
}

// SmallSizes is the second workspace's default: enough to tell the two apart.
var SmallSizes = Sizes{
	Projects: 3, Groups: 5, Members: 40, Posts: 1_000,
	First: aspire.NewDate(2025, 1, 1), Last: aspire.NewDate(2026, 12, 31),
}

// workspace is a generated, immutable data set; every index is built once.
type workspace struct {
	clientID string
	projects []aspire.Project
	groups   []aspire.Group
	members  []member
	posts    []aspire.Post // ordered by posted_at, then id; ids ascend in that order

	projectAt, groupAt, memberAt, postAt map[string]int
	postsOfMember                        [][]int          // by member index, ascending time
	membersOfProject, membersOfGroup     map[string][]int // member indexes
}

type member struct {
	aspire.Member // without metrics
	followers     map[aspire.Network]int64
	lifetime      aspire.Member // lifetime roll-up, computed once
}

var (
	firstNames = []string{"Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Chloe", "Lucas", "Priya", "Mateo", "Aria", "Kai", "Nora", "Leo", "Isla", "Omar", "Mila", "Theo", "Sofia", "Jonah", "Hana", "Diego", "Elena", "Sami", "Lena", "Ravi", "Ivy", "Felix", "Amara", "Milo"}
	lastNames  = []string{"Park", "Nguyen", "Garcia", "Smith", "Khan", "Rossi", "Okafor", "Silva", "Kim", "Patel", "Novak", "Cohen", "Haddad", "Larsen", "Moreau", "Tanaka", "Brown", "Costa", "Ali", "Fischer", "Reyes", "Ward", "Chen", "Dubois", "Singh"}
	campaigns  = []string{"Spring Glow Launch", "Summer Hydration", "Holiday Gift Guide", "Back to School", "Evergreen Ambassadors", "Sneaker Drop", "Clean Beauty Week", "Festival Season", "New Year Reset", "Travel Kit", "Pet Lovers", "Home Refresh"}
	groupNames = []string{"Tier A Creators", "Micro Influencers", "Skincare Experts", "Fitness", "Travel", "Food & Drink", "Gaming", "Parents", "Students", "UGC Only", "Ambassadors", "Whitelisted", "Nano Creators", "Macro Creators", "Beauty", "Tech", "Pets", "Fashion", "Outdoors", "Wellness"}
	products   = []string{"glow serum", "hydration mist", "trail sneakers", "travel kit", "protein bar", "candle set", "lip oil", "gaming chair", "yoga mat", "cold brew"}
	captions   = []string{
		"Obsessed with my new %s ✨ #ad #partner",
		"Day 3 with the %s and I'm not going back #sponsored",
		"Unboxing the %s you asked about! Link in bio #gifted",
		"My honest review of the %s 👇 #ad",
		"POV: you finally found the %s #fyp #partner",
		"Packing list: the %s comes everywhere with me #travel #ad",
	}
)

// idBase spaces each workspace's ids apart: ids are eight digits, unique
// across workspaces, so a leak from one workspace into another is visible.
func idBase(index int) int { return (index + 1) * 10_000_000 }

// generated memoizes workspaces: they are immutable, so simulators with the
// same seed and sizes (tests make many) share one.
var generated sync.Map // wsKey → *workspace

type wsKey struct {
	index    int
	clientID string
	seed     uint64
	sizes    Sizes
}

func genWorkspace(index int, clientID string, seed uint64, sz Sizes) *workspace {
	k := wsKey{index, clientID, seed, sz}
	if w, ok := generated.Load(k); ok {
		return w.(*workspace)
	}
	w, _ := generated.LoadOrStore(k, newWorkspace(index, clientID, seed, sz))
	return w.(*workspace)
}

func newWorkspace(index int, clientID string, seed uint64, sz Sizes) *workspace {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := idBase(index)
	w := &workspace{clientID: clientID,
		projectAt: map[string]int{}, groupAt: map[string]int{}, memberAt: map[string]int{}, postAt: map[string]int{},
		membersOfProject: map[string][]int{}, membersOfGroup: map[string][]int{}}

	for i := range sz.Projects {
		status := aspire.ProjectActive
		if r.Float64() < 0.25 {
			status = aspire.ProjectArchived
		}
		name := campaigns[i%len(campaigns)]
		if i >= len(campaigns) {
			name += " " + strconv.Itoa(i/len(campaigns)+1)
		}
		created := sz.First.Time().Add(-time.Duration(r.IntN(90*24)) * time.Hour).Add(time.Duration(r.IntN(3600)) * time.Second)
		p := aspire.Project{ID: strconv.Itoa(base + 100_001 + i), Name: &name, Status: &status, CreatedAt: &created}
		w.projectAt[p.ID] = i
		w.projects = append(w.projects, p)
	}
	for i := range sz.Groups {
		name := groupNames[i%len(groupNames)]
		if i >= len(groupNames) {
			name += " " + strconv.Itoa(i/len(groupNames)+1)
		}
		g := aspire.Group{ID: strconv.Itoa(base + 200_001 + i), Name: &name}
		w.groupAt[g.ID] = i
		w.groups = append(w.groups, g)
	}

	// Members, each with an activity weight: a few creators post a lot.
	weights := make([]float64, sz.Members)
	var total float64
	for i := range sz.Members {
		first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		id := strconv.Itoa(base + 1_000_001 + i)
		m := member{followers: map[aspire.Network]int64{}}
		m.ID, m.Name = id, first+" "+last
		m.Email = strings.ToLower(first+"."+last) + strconv.Itoa(i+1) + "@example.com"
		handle := strings.ToLower(first + last)
		for _, n := range []struct {
			net aspire.Network
			p   float64
		}{{aspire.Instagram, 0.85}, {aspire.TikTok, 0.6}, {aspire.YouTube, 0.35}, {aspire.Pinterest, 0.25}} {
			if r.Float64() < n.p {
				m.followers[n.net] = int64(math.Exp(math.Log(2_000) + r.Float64()*(math.Log(1_500_000)-math.Log(2_000))))
			}
		}
		if len(m.followers) == 0 {
			m.followers[aspire.Instagram] = 5_000 + r.Int64N(50_000)
		}
		for n := range m.followers {
			suffix := map[aspire.Network]string{aspire.Instagram: "", aspire.TikTok: ".tt", aspire.YouTube: "TV", aspire.Pinterest: "pins"}[n]
			switch n {
			case aspire.Instagram:
				m.Handles.Instagram = handle + suffix
			case aspire.TikTok:
				m.Handles.TikTok = handle + suffix
			case aspire.YouTube:
				m.Handles.YouTube = handle + suffix
			case aspire.Pinterest:
				m.Handles.Pinterest = handle + suffix
			}
		}
		m.ProjectIDs = pick(r, w.projects, 1+r.IntN(3), func(p aspire.Project) string { return p.ID })
		m.GroupIDs = pick(r, w.groups, r.IntN(5), func(g aspire.Group) string { return g.ID })
		for _, p := range m.ProjectIDs {
			w.membersOfProject[p] = append(w.membersOfProject[p], i)
		}
		for _, g := range m.GroupIDs {
			w.membersOfGroup[g] = append(w.membersOfGroup[g], i)
		}
		w.memberAt[id] = i
		w.members = append(w.members, m)
		weights[i] = 0.05 + r.Float64()*r.Float64()*r.Float64()*4
		total += weights[i]
	}
	for i := range w.projects {
		w.projects[i].MemberCount = len(w.membersOfProject[w.projects[i].ID])
	}
	for i := range w.groups {
		w.groups[i].MemberCount = len(w.membersOfGroup[w.groups[i].ID])
	}
	cum := make([]float64, len(weights))
	acc := 0.0
	for i, x := range weights {
		acc += x / total
		cum[i] = acc
	}

	span := sz.Last.AddDays(1).Time().Sub(sz.First.Time())
	w.posts = make([]aspire.Post, 0, sz.Posts)
	for range sz.Posts {
		if len(cum) == 0 {
			break
		}
		mi := min(len(cum)-1, searchFloat(cum, r.Float64()))
		w.posts = append(w.posts, genPost(r, &w.members[mi], sz.First.Time().Add(time.Duration(r.Int64N(int64(span))).Truncate(time.Second))))
	}
	slices.SortStableFunc(w.posts, func(a, b aspire.Post) int { return a.PostedAt.Compare(b.PostedAt) })
	w.postsOfMember = make([][]int, len(w.members))
	for i := range w.posts {
		p := &w.posts[i]
		p.ID = strconv.Itoa(base + 2_000_001 + i)
		p.ThumbnailURL = "https://cdn.aspire-sim.example/thumbs/" + p.ID + ".jpg"
		w.postAt[p.ID] = i
		mi := w.memberAt[p.MemberID]
		w.postsOfMember[mi] = append(w.postsOfMember[mi], i)
	}
	for i := range w.members {
		w.members[i].lifetime = w.rollup(i, w.postsOfMember[i], func(p *aspire.Post) aspire.Metrics { return p.Metrics })
	}
	return w
}

func searchFloat(cum []float64, x float64) int {
	i, _ := slices.BinarySearch(cum, x)
	return i
}

// pick returns the ids of up to n distinct random items, sorted.
func pick[T any](r *rand.Rand, items []T, n int, id func(T) string) []string {
	n = min(n, len(items))
	out := make([]string, 0, n)
	for _, i := range r.Perm(len(items))[:n] {
		out = append(out, id(items[i]))
	}
	slices.Sort(out)
	return out
}

func genPost(r *rand.Rand, m *member, at time.Time) aspire.Post {
	nets := make([]aspire.Network, 0, len(m.followers))
	for _, n := range aspire.Networks {
		if _, ok := m.followers[n]; ok {
			nets = append(nets, n)
		}
	}
	net := nets[r.IntN(len(nets))]
	var typ aspire.PostType
	switch net {
	case aspire.Instagram:
		typ = [...]aspire.PostType{aspire.InstagramPost, aspire.InstagramReel, aspire.InstagramReel, aspire.InstagramPost, aspire.InstagramStory}[r.IntN(5)]
	case aspire.TikTok:
		typ = aspire.TikTokVideo
	case aspire.YouTube:
		typ = [...]aspire.PostType{aspire.YouTubeVideo, aspire.YouTubeShort}[r.IntN(2)]
	default:
		typ = aspire.PinterestPin
	}
	src := aspire.BrandInitiated
	switch x := r.Float64(); {
	case x > 0.85:
		src = aspire.SocialListening
	case x > 0.55:
		src = aspire.CreatorSubmitted
	}
	status := aspire.Live
	switch x := r.Float64(); {
	case typ == aspire.InstagramStory && x < 0.9, x > 0.95 && x < 0.99:
		status = aspire.Expired
	case x >= 0.99:
		status = aspire.Deleted
	}
	p := aspire.Post{
		MemberID: m.ID, Network: net, PostType: typ, MentionSource: src, Status: status,
		PostedAt:    at,
		Caption:     fmt.Sprintf(captions[r.IntN(len(captions))], products[r.IntN(len(products))]),
		IsEstimated: typ == aspire.InstagramStory || src == aspire.SocialListening,
		ProjectIDs:  []string{}, GroupIDs: []string{},
	}
	if len(m.ProjectIDs) > 0 {
		switch x := r.Float64(); {
		case x < 0.1 && len(m.ProjectIDs) > 1:
			p.ProjectIDs = pick(r, m.ProjectIDs, 2, func(s string) string { return s })
		case x < 0.85:
			p.ProjectIDs = []string{m.ProjectIDs[r.IntN(len(m.ProjectIDs))]}
		}
	}
	for _, g := range m.GroupIDs {
		if r.Float64() < 0.7 {
			p.GroupIDs = append(p.GroupIDs, g)
		}
	}
	code := randCode(r, 11)
	switch typ {
	case aspire.InstagramPost, aspire.InstagramStory:
		p.URL = "https://www.instagram.com/p/" + code + "/"
	case aspire.InstagramReel:
		p.URL = "https://www.instagram.com/reel/" + code + "/"
	case aspire.TikTokVideo:
		p.URL = "https://www.tiktok.com/@" + m.Handles.TikTok + "/video/" + strconv.FormatUint(7_000_000_000_000_000_000+r.Uint64N(1_000_000_000_000_000_000), 10)
	case aspire.YouTubeVideo:
		p.URL = "https://www.youtube.com/watch?v=" + code
	case aspire.YouTubeShort:
		p.URL = "https://www.youtube.com/shorts/" + code
	default:
		p.URL = "https://www.pinterest.com/pin/" + strconv.FormatUint(100_000_000_000_000_000+r.Uint64N(900_000_000_000_000_000), 10) + "/"
	}
	p.Metrics = genMetrics(r, typ, float64(m.followers[net])*(0.9+0.2*r.Float64()))
	return p
}

func randCode(r *rand.Rand, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// genMetrics makes a post's lifetime metrics. Each network reports its own
// set (a metric it lacks stays nil); engagements, engagement rate and TMV
// follow the contract's definitions.
func genMetrics(r *rand.Rand, typ aspire.PostType, reach float64) aspire.Metrics {
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	n := func(x float64) *int64 { v := int64(math.Round(x)); return &v }
	m := aspire.Metrics{Reach: n(reach)}
	switch typ {
	case aspire.InstagramPost, aspire.InstagramReel:
		imp := reach * u(0.3, 1.6)
		m.Impressions = n(imp)
		likes := imp * u(0.01, 0.08)
		m.Likes, m.Comments, m.Shares, m.Saves = n(likes), n(likes*u(0.02, 0.1)), n(likes*u(0.01, 0.2)), n(likes*u(0.02, 0.15))
		if typ == aspire.InstagramReel {
			views := imp * u(0.8, 1.5)
			m.Views, m.ViewTimeSeconds = n(views), n(views*u(5, 20))
		}
	case aspire.InstagramStory:
		imp := reach * u(0.05, 0.3)
		m.Impressions, m.Views = n(imp), n(imp*u(0.9, 1))
		m.Shares, m.Clicks = n(imp*u(0.001, 0.01)), n(imp*u(0.001, 0.01))
	case aspire.TikTokVideo:
		views := reach * u(0.2, 3)
		likes := views * u(0.02, 0.12)
		m.Views, m.ViewTimeSeconds = n(views), n(views*u(3, 15))
		m.Likes, m.Comments, m.Shares, m.Saves = n(likes), n(likes*u(0.01, 0.05)), n(likes*u(0.01, 0.1)), n(likes*u(0.02, 0.1))
	case aspire.YouTubeVideo, aspire.YouTubeShort:
		views, secs := reach*u(0.05, 0.6), u(60, 400)
		if typ == aspire.YouTubeShort {
			views, secs = reach*u(0.1, 1.5), u(10, 40)
		}
		likes := views * u(0.01, 0.05)
		m.Impressions, m.Views, m.ViewTimeSeconds = n(views*u(3, 8)), n(views), n(views*secs)
		m.Likes, m.Comments, m.Shares = n(likes), n(likes*u(0.02, 0.08)), n(likes*u(0.01, 0.05))
	case aspire.PinterestPin:
		imp := reach * u(0.5, 3)
		m.Impressions, m.Saves, m.Clicks, m.Comments = n(imp), n(imp*u(0.005, 0.03)), n(imp*u(0.002, 0.02)), n(imp*u(0, 0.0005))
	}
	return derive(m, typ.Network())
}

// cpm is the paid-media price of 1,000 impressions (or views, on video
// networks) and of one engagement, per network, in USD.
var cpm = map[aspire.Network]struct{ perMille, perEngagement, perClick float64 }{
	aspire.Instagram: {10, 0.15, 0.8},
	aspire.TikTok:    {8, 0.10, 0},
	aspire.YouTube:   {20, 0.20, 0},
	aspire.Pinterest: {5, 0.20, 0.5},
}

// derive fills engagements, engagement rate and TMV from the counts.
func derive(m aspire.Metrics, net aspire.Network) aspire.Metrics {
	var eng int64
	for _, p := range []*int64{m.Likes, m.Comments, m.Saves, m.Shares} {
		if p != nil {
			eng += *p
		}
	}
	m.Engagements = &eng
	if m.Reach != nil && *m.Reach > 0 {
		rate := round(float64(eng)/float64(*m.Reach), 6)
		m.EngagementRate = &rate
	}
	seen := m.Impressions
	if net == aspire.TikTok || net == aspire.YouTube {
		seen = m.Views
	}
	c := cpm[net]
	tmv := float64(eng) * c.perEngagement
	if seen != nil {
		tmv += float64(*seen) / 1000 * c.perMille
	}
	if m.Clicks != nil {
		tmv += float64(*m.Clicks) * c.perClick
	}
	tmv = round(tmv, 2)
	m.TMV = &tmv
	return m
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// windowed returns p's metrics accrued by the end of r: a post gathers most
// of its numbers in its first days (an exponential with a five-day mean).
// Reach is the audience at posting time and does not scale.
func windowed(p *aspire.Post, r aspire.Range) aspire.Metrics {
	days := r.End.AddDays(1).Time().Sub(p.PostedAt).Hours() / 24
	f := 0.0
	if days > 0 {
		f = 1 - math.Exp(-days/5)
	}
	src := p.Metrics
	scale := func(v *int64) *int64 {
		if v == nil {
			return nil
		}
		x := int64(math.Round(float64(*v) * f))
		return &x
	}
	m := aspire.Metrics{
		Reach: src.Reach, Impressions: scale(src.Impressions), Views: scale(src.Views), ViewTimeSeconds: scale(src.ViewTimeSeconds),
		Likes: scale(src.Likes), Comments: scale(src.Comments), Shares: scale(src.Shares), Saves: scale(src.Saves), Clicks: scale(src.Clicks),
	}
	return derive(m, p.Network)
}

// rollup sums the metrics of the posts at idx (as metricsOf gives them) for
// member mi. A metric is nil when no selected post reports it.
func (w *workspace) rollup(mi int, idx []int, metricsOf func(*aspire.Post) aspire.Metrics) aspire.Member {
	m := w.members[mi].Member
	m.PostCount = len(idx)
	m.ByNetwork = map[aspire.Network]aspire.Metrics{}
	m.ByPostType = map[aspire.PostType]aspire.Metrics{}
	var all acc
	byNet := map[aspire.Network]*acc{}
	byType := map[aspire.PostType]*acc{}
	for _, i := range idx {
		p := &w.posts[i]
		pm := metricsOf(p)
		all.add(&pm)
		if byNet[p.Network] == nil {
			byNet[p.Network] = &acc{}
		}
		byNet[p.Network].add(&pm)
		if byType[p.PostType] == nil {
			byType[p.PostType] = &acc{}
		}
		byType[p.PostType].add(&pm)
	}
	m.Metrics = all.metrics()
	for n, a := range byNet {
		m.ByNetwork[n] = a.metrics()
	}
	for t, a := range byType {
		m.ByPostType[t] = a.metrics()
	}
	return m
}

// acc sums metrics as the API sends member roll-ups: aspire.MetricsSum,
// with the rate rounded to 6 places.
type acc struct{ aspire.MetricsSum }

func (a *acc) add(m *aspire.Metrics) { a.Add(m) }

func (a *acc) metrics() aspire.Metrics {
	m := a.Metrics()
	if m.EngagementRate != nil {
		rate := round(*m.EngagementRate, 6)
		m.EngagementRate = &rate
	}
	return m
}

// named returns a copy of w with the project and group names of every post
// and member filled, for a wire that embeds them (Wire.EmbedNames).
func (w *workspace) named() *workspace {
	c := *w
	c.posts, c.members = slices.Clone(w.posts), slices.Clone(w.members)
	c.nameRefs()
	return &c
}

// nameRefs fills the project and group names of every post and member.
func (w *workspace) nameRefs() {
	names := func(ids []string, at map[string]int, name func(int) string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			if k, ok := at[id]; ok {
				out[i] = name(k)
			}
		}
		return out
	}
	pn := func(k int) string { return *w.projects[k].Name }
	gn := func(k int) string { return *w.groups[k].Name }
	for i := range w.posts {
		p := &w.posts[i]
		p.ProjectNames, p.GroupNames = names(p.ProjectIDs, w.projectAt, pn), names(p.GroupIDs, w.groupAt, gn)
	}
	for i := range w.members {
		m := &w.members[i]
		m.ProjectNames, m.GroupNames = names(m.ProjectIDs, w.projectAt, pn), names(m.GroupIDs, w.groupAt, gn)
		m.lifetime.ProjectNames, m.lifetime.GroupNames = m.ProjectNames, m.GroupNames
	}
}
