// Package kubernetes_test checks the Kubernetes manifests against the
// gateway they deploy: the ConfigMap's config is valid, and the probes,
// ports, secret and mount agree with it.
package kubernetes_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ipack-gateway/ipack-gateway/config"
)

type manifest struct {
	Kind       string                `yaml:"kind"`
	Metadata   struct{ Name string } `yaml:"metadata"`
	Data       map[string]string     `yaml:"data"`
	StringData map[string]string     `yaml:"stringData"`
	Spec       struct {
		Ports []struct {
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
		Template struct {
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				SecurityContext               struct {
					RunAsNonRoot bool `yaml:"runAsNonRoot"`
					RunAsUser    int  `yaml:"runAsUser"`
				} `yaml:"securityContext"`
				Containers []container `yaml:"containers"`
				Volumes    []struct {
					Name      string                `yaml:"name"`
					ConfigMap struct{ Name string } `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type container struct {
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name      string `yaml:"name"`
		ValueFrom struct {
			SecretKeyRef struct{ Name, Key string } `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
	LivenessProbe   probe `yaml:"livenessProbe"`
	ReadinessProbe  probe `yaml:"readinessProbe"`
	SecurityContext struct {
		ReadOnlyRootFilesystem   bool `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation bool `yaml:"allowPrivilegeEscalation"`
	} `yaml:"securityContext"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

func load(t *testing.T) map[string]manifest {
	t.Helper()
	files, _ := filepath.Glob("*.yaml")
	out := map[string]manifest{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m manifest
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[m.Kind] = m
	}
	for _, kind := range []string{"ConfigMap", "Secret", "Deployment", "Service", "Kustomization"} {
		if _, ok := out[kind]; !ok {
			t.Fatalf("no %s manifest", kind)
		}
	}
	return out
}

func TestManifests(t *testing.T) {
	m := load(t)
	dep := m["Deployment"].Spec.Template.Spec
	if len(dep.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(dep.Containers))
	}
	c := dep.Containers[0]

	// The config file the container is given is valid with the Secret's
	// environment, and listens where the container port says.
	if len(c.Args) != 2 || c.Args[0] != "-config" {
		t.Fatalf("args = %q, want -config <file>", c.Args)
	}
	dir, file := filepath.Split(c.Args[1])
	mounted := false
	for _, vm := range c.VolumeMounts {
		for _, v := range dep.Volumes {
			if vm.Name == v.Name && strings.TrimSuffix(vm.MountPath, "/")+"/" == dir && v.ConfigMap.Name == m["ConfigMap"].Metadata.Name {
				mounted = true
			}
		}
	}
	if !mounted {
		t.Errorf("%s is not the ConfigMap's mount", c.Args[1])
	}
	secretEnv := map[string]string{}
	for _, e := range c.Env {
		ref := e.ValueFrom.SecretKeyRef
		if ref.Name == m["Secret"].Metadata.Name {
			secretEnv[e.Name] = m["Secret"].StringData[ref.Key]
		}
	}
	cfg, err := config.Parse([]byte(m["ConfigMap"].Data[file]), func(k string) string { return secretEnv[k] })
	if err != nil {
		t.Fatalf("the ConfigMap's %s: %v", file, err)
	}
	if len(c.Ports) != 1 || !strings.HasSuffix(cfg.Listen, ":"+itoa(c.Ports[0].ContainerPort)) || strings.HasPrefix(cfg.Listen, "127.") {
		t.Errorf("config listens on %s; container port %+v", cfg.Listen, c.Ports)
	}
	port := c.Ports[0].Name

	// Probes wired to the gateway's endpoints, on its port.
	if p := c.LivenessProbe.HTTPGet; p.Path != "/healthz" || p.Port != port {
		t.Errorf("liveness probe %+v, want /healthz on %s", p, port)
	}
	if p := c.ReadinessProbe.HTTPGet; p.Path != "/readyz" || p.Port != port {
		t.Errorf("readiness probe %+v, want /readyz on %s", p, port)
	}
	if svc := m["Service"].Spec.Ports; len(svc) != 1 || svc[0].TargetPort != port {
		t.Errorf("service ports %+v, want target %s", svc, port)
	}
	// Kubernetes kills the pod after terminationGracePeriodSeconds: the
	// drain delay and the grace must fit in it.
	if need := cfg.DrainDelay + cfg.ShutdownGrace; time.Duration(dep.TerminationGracePeriodSeconds)*time.Second <= need {
		t.Errorf("terminationGracePeriodSeconds %d does not cover drainDelay+shutdownGrace %s", dep.TerminationGracePeriodSeconds, need)
	}
	if cfg.DrainDelay == 0 {
		t.Error("no drainDelay: pods would drop requests while the Service still routes to them")
	}
	// Non-root, as the image is.
	if sc := dep.SecurityContext; !sc.RunAsNonRoot || sc.RunAsUser != 65532 {
		t.Errorf("pod securityContext %+v, want non-root uid 65532", sc)
	}
	if sc := c.SecurityContext; !sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation {
		t.Errorf("container securityContext %+v", sc)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
