package observe

import "runtime/debug"

// ReadBuild names the running binary from the build information Go embeds:
// the main module's version ("(devel)" for a build from a checkout) and the
// VCS revision, with "+dirty" when the tree had uncommitted changes.
func ReadBuild() Build {
	b := Build{Version: "unknown", Revision: "unknown"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Version = info.Main.Version
	b.GoVersion = info.GoVersion
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && b.Revision != "unknown" {
		b.Revision += "+dirty"
	}
	return b
}
