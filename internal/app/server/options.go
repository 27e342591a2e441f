package server

import (
	"seckill/internal/config"
	"seckill/internal/live/gate"
)

// The runtime packages (gate, netpoll, nethttpfront) do not read the
// configuration; the assembly translates it into their options here and in
// frontend.go, so each limit is defined once, in internal/config.

// GateOptions are the gate's options from the validated configuration.
func GateOptions(cfg *config.Config) gate.Options {
	return gate.Options{
		AuthNone:       cfg.Auth.Mode == "none",
		Secret:         cfg.Auth.SecretBytes,
		CaptchaSecret:  []byte(cfg.Auth.CaptchaSecret),
		TokenMaxTTL:    cfg.Auth.TokenMaxTTL,
		PerAddrPerSec:  cfg.Server.PerAddrPerSec,
		RetryAfter:     cfg.Server.RetryAfter,
		MaxNameBytes:   config.MaxIDLength,
		BlockedUIDs:    cfg.Blocklist.UIDs,
		BlockedAddrs:   cfg.Blocklist.ParsedAddrs,
		CORSOrigins:    cfg.Server.CORSOrigins,
		TrustedProxies: cfg.Server.ParsedTrustedProxies,
	}
}

// RouteSpec describes one configured (activity, item) to the gate.
func RouteSpec(act *config.Activity, item *config.Item) gate.RouteSpec {
	return gate.RouteSpec{
		Activity:      act.ID,
		SKU:           item.SKU,
		Quota:         int64(item.Quota()),
		StartUnixNano: act.StartTime.UnixNano(),
		EndUnixNano:   act.EndTime.UnixNano(),
		Captcha:       act.Captcha,
		Settings:      RouteSettings(act),
	}
}

// RouteSettings are the route settings of act that a reload may change.
func RouteSettings(act *config.Activity) gate.Settings {
	return gate.Settings{AdmitPerSec: act.AdmitPerSec, FailText: act.FailText, DeliveryHint: act.DeliveryHint}
}
