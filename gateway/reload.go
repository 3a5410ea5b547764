package gateway

import "github.com/ipack-gateway/ipack-gateway/config"

// Reload applies a new configuration's spaces and client tokens without
// dropping a request: requests already authenticated finish with the space
// they were authenticated with, later ones see the new set; a request that
// waited for its turn meanwhile is authenticated again with the new set
// before it executes (auth.Require). load reads and validates
// the configuration; when it fails, the running configuration stays and the
// error is logged and returned. Other keys are read at start only; a change
// to them is logged as needing a restart.
func (s *Server) Reload(load func() (*config.Config, error)) error {
	cfg, err := load()
	if err == nil {
		err = s.spaces.Load(cfg.Spaces, s.health.Track)
	}
	if err != nil {
		s.metrics.Reloaded(err)
		s.log.Error("config reload failed; the running configuration stays", "err", err)
		return err
	}
	s.metrics.Reloaded(nil)
	s.log.Info("config reloaded", "spaces", len(cfg.Spaces))
	if keys := config.RestartKeys(s.cfg, cfg); len(keys) > 0 {
		s.log.Warn("config changes that need a restart were not applied", "keys", keys)
	}
	return nil
}
