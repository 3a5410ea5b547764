package config

import "reflect"

// RestartKeys names the top-level keys, other than spaces, whose values
// differ between two configurations: on SIGHUP the gateway applies the new
// spaces (and their tokens) and logs these as needing a restart.
func RestartKeys(old, cur *Config) []string {
	var keys []string
	a, b := reflect.ValueOf(*old), reflect.ValueOf(*cur)
	t := a.Type()
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("yaml")
		if tag == "spaces" {
			continue
		}
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			keys = append(keys, tag)
		}
	}
	return keys
}
