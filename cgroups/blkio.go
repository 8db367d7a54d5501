package cgroups

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/minirun/minirun/internal/trace"
)

// v1BlkioFiles points the weights at the files this kernel has. CFQ's
// blkio.weight went with the legacy block layer (Linux 5.0); BFQ's
// blkio.bfq.weight exists while the BFQ scheduler is loaded. Like runc,
// minirun takes blkio.weight when present and BFQ's file otherwise, so on a
// kernel with neither the write fails naming the BFQ file. Only a config
// with a weight pays the stat.
func v1BlkioFiles(settings []setting, dir string) []setting {
	i := slices.IndexFunc(settings, func(s setting) bool {
		return s.file == "blkio.weight" || s.file == "blkio.weight_device"
	})
	if i < 0 {
		return settings
	}
	if _, err := os.Stat(filepath.Join(dir, "blkio.weight")); err == nil {
		return settings
	}
	out := append([]setting(nil), settings...)
	for i := range out {
		switch out[i].file {
		case "blkio.weight":
			out[i].file = "blkio.bfq.weight"
		case "blkio.weight_device":
			out[i].file = "blkio.bfq.weight_device"
		}
	}
	return out
}

// v2IOWeights resolves the io.bfq.weight settings v2Settings made. With
// BFQ's file the weight is written there as is, and a per-device weight
// too if this kernel's BFQ takes them (it lists them when read, where an
// older one prints a bare number). Without it the cgroup-wide weight goes
// to io.weight on its own scale, as runc does, and per-device weights,
// which runc drops in silence there, are dropped with a warning.
func v2IOWeights(settings []setting, dir string) []setting {
	if slices.IndexFunc(settings, func(s setting) bool { return s.file == "io.bfq.weight" }) < 0 {
		return settings
	}
	bfq, err := os.ReadFile(filepath.Join(dir, "io.bfq.weight"))
	haveBFQ := err == nil
	_, bare := strconv.ParseUint(string(bytes.TrimSpace(bfq)), 10, 64)
	perDevice := haveBFQ && bare != nil
	var out []setting
	for _, s := range settings {
		if s.file != "io.bfq.weight" {
			out = append(out, s)
			continue
		}
		device := strings.Contains(s.value, ":")
		switch {
		case device && !perDevice:
			trace.Warnf("linux.resources.blockIO.weightDevice %s ignored: this kernel has no per-device BFQ weights in %s", s.value, dir)
		case !device && !haveBFQ:
			w, _ := strconv.ParseUint(s.value, 10, 64)
			out = append(out, setting{"io", "io.weight", strconv.FormatUint(blkioToIOWeight(w), 10)})
		default:
			out = append(out, s)
		}
	}
	return out
}
