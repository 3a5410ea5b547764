package kubernetes_test

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// scaling is what decides whether the manifests keep the vendor's budget:
// how many gateway pods may run at once, and how the config shares the
// budget between them.
type scaling struct {
	Replicas int `yaml:"replicas"`
	MaxSurge int // of the rolling update: pods that run beside the replicas
	// From the ConfigMap's gateway config:
	Store        string // platform.rateLimit.store; "" is the default, memory
	Share        int    // platform.rateLimit.replicas; 0 is the default, 1
	RedisURL     string // redis.url
	RedisService string // the Service of the Redis the kustomization deploys, "" if none
}

// checkScaling says why the manifests could send an account more than its
// budget, or nil. With the memory store every pod has the whole budget, so
// only one may run, surge included. With Redis the pods share one budget,
// and each falls back to 1/platform.rateLimit.replicas of it while Redis
// is down: that must count every pod a rollout can run at once.
func checkScaling(s scaling) error {
	pods := s.Replicas + s.MaxSurge
	switch s.Store {
	case "", "memory":
		if pods > 1 {
			return fmt.Errorf("%d replicas + %d surge with the memory store: each pod would send an account its whole budget; set platform.rateLimit.store: redis", s.Replicas, s.MaxSurge)
		}
		return nil
	case "redis":
	default:
		return fmt.Errorf("platform.rateLimit.store %q is neither memory nor redis", s.Store)
	}
	if share := max(s.Share, 1); share < pods {
		return fmt.Errorf("platform.rateLimit.replicas is %d but up to %d pods run (replicas + surge): while Redis is down they would send %d/%d of the budget", share, pods, pods, share)
	}
	u, err := url.Parse(s.RedisURL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Hostname() == "" {
		return errors.New("redis.url is not a redis:// URL with a host")
	}
	if s.RedisService == "" {
		return errors.New("the kustomization deploys no Redis (resource redis): deploy it, or document the Redis redis.url names")
	}
	if host := u.Hostname(); host != s.RedisService && !strings.HasPrefix(host, s.RedisService+".") {
		return fmt.Errorf("redis.url names %s, not the Redis Service %s the kustomization deploys", host, s.RedisService)
	}
	return nil
}

func TestCheckScaling(t *testing.T) {
	redis := scaling{Store: "redis", Share: 3, RedisURL: "redis://:pw@ipack-gateway-redis:6379/0", RedisService: "ipack-gateway-redis"}
	with := func(f func(*scaling)) scaling { s := redis; f(&s); return s }
	for _, tc := range []struct {
		name string
		s    scaling
		ok   bool
	}{
		{"one pod in memory", scaling{Replicas: 1}, true},
		{"one pod, surge 1, in memory", scaling{Replicas: 1, MaxSurge: 1}, false},
		{"two pods in memory", scaling{Replicas: 2, Store: "memory"}, false},
		{"two pods, default store", scaling{Replicas: 2}, false},
		{"two pods + surge on Redis, share 3", with(func(s *scaling) { s.Replicas, s.MaxSurge = 2, 1 }), true},
		{"two pods + surge on Redis, share 2", with(func(s *scaling) { s.Replicas, s.MaxSurge, s.Share = 2, 1, 2 }), false},
		{"Redis, no share set", with(func(s *scaling) { s.Replicas, s.Share = 2, 0 }), false},
		{"Redis, not deployed", with(func(s *scaling) { s.Replicas, s.RedisService = 2, "" }), false},
		{"Redis, URL elsewhere", with(func(s *scaling) { s.Replicas, s.RedisURL = 2, "redis://other:6379" }), false},
		{"Redis, fully qualified Service", with(func(s *scaling) {
			s.Replicas, s.RedisURL = 2, "rediss://ipack-gateway-redis.ns.svc.cluster.local:6379"
		}), true},
		{"Redis, not a URL", with(func(s *scaling) { s.Replicas, s.RedisURL = 2, "ipack-gateway-redis:6379" }), false},
	} {
		if err := checkScaling(tc.s); (err == nil) != tc.ok {
			t.Errorf("checkScaling(%s) = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// The shipped manifests never run more than one replica on the memory
// store, nor more pods than the Redis fallback's share counts.
func TestManifestsKeepTheBudget(t *testing.T) {
	s, err := shippedScaling()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkScaling(s); err != nil {
		t.Errorf("deploy/kubernetes: %v", err)
	}
}

// shippedScaling reads scaling from the manifests in this directory.
func shippedScaling() (scaling, error) {
	var s scaling
	var dep struct {
		Spec struct {
			Replicas *int `yaml:"replicas"`
			Strategy struct {
				RollingUpdate struct {
					MaxSurge any `yaml:"maxSurge"`
				} `yaml:"rollingUpdate"`
			} `yaml:"strategy"`
		} `yaml:"spec"`
	}
	if err := readYAML("deployment.yaml", &dep); err != nil {
		return s, err
	}
	s.Replicas = 1 // Kubernetes' default
	if dep.Spec.Replicas != nil {
		s.Replicas = *dep.Spec.Replicas
	}
	// Kubernetes' default surge is 25% of the replicas, rounded up.
	s.MaxSurge = (s.Replicas + 3) / 4
	switch v := dep.Spec.Strategy.RollingUpdate.MaxSurge.(type) {
	case int:
		s.MaxSurge = v
	case string:
		var pct int
		if _, err := fmt.Sscanf(v, "%d%%", &pct); err != nil {
			return s, fmt.Errorf("maxSurge %q", v)
		}
		s.MaxSurge = (s.Replicas*pct + 99) / 100
	}

	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	if err := readYAML("configmap.yaml", &cm); err != nil {
		return s, err
	}
	var cfg struct {
		Platform struct {
			RateLimit struct {
				Store    string `yaml:"store"`
				Replicas int    `yaml:"replicas"`
			} `yaml:"rateLimit"`
		} `yaml:"platform"`
		Redis struct {
			URL string `yaml:"url"`
		} `yaml:"redis"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data["gateway.yaml"]), &cfg); err != nil {
		return s, fmt.Errorf("configmap.yaml gateway.yaml: %w", err)
	}
	// The gateway expands ${NAME} from the environment (the Secret).
	s.Store, s.Share = cfg.Platform.RateLimit.Store, cfg.Platform.RateLimit.Replicas
	s.RedisURL = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\}`).ReplaceAllString(cfg.Redis.URL, "from-the-environment")

	var kust struct {
		Resources []string `yaml:"resources"`
	}
	if err := readYAML("kustomization.yaml", &kust); err != nil {
		return s, err
	}
	if slices.Contains(kust.Resources, "redis") {
		var svc struct {
			Metadata struct{ Name string } `yaml:"metadata"`
		}
		if err := readYAML(filepath.Join("redis", "service.yaml"), &svc); err != nil {
			return s, err
		}
		s.RedisService = svc.Metadata.Name
	}
	return s, nil
}

func readYAML(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
