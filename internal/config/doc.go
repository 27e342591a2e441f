// Package config loads and checks seckill's TOML configuration: the public
// and admin listeners, the durable store, authentication, the winners export,
// the blocklist and the sale activities with their items.
//
// A configuration file is decoded, resolved (relative paths are taken against
// the file's own directory, "now" and "+2h" times are fixed, a secret_file is
// read, blocklist addresses are parsed), filled with defaults and validated.
// Validation reports every problem at once, each naming its field path such as
// activity[0].item[2].stock, so an operator fixes a file in one pass.
//
// Usage:
//
//	cfg, err := config.Load("/etc/seckill/seckill.toml", time.Now())
//	if err != nil {
//		log.Fatal(err) // every problem, one per line
//	}
//	idle := cfg.Server.IdleTimeout
//	for _, act := range cfg.Activities {
//		for _, item := range act.Items {
//			_ = item.Quota()
//		}
//	}
//
// Demo returns the embedded demo configuration, which needs no files and is
// always valid. example.toml next to this package documents every field.
package config
