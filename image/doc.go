// Package image keeps container images in a local store: it pulls them from
// registries, imports them from directories and tarballs, unpacks their layers
// once (shared between images), and builds each container's copy-on-write root
// as an overlayfs over those layers.
//
// Store layout under Root:
//
//	lock                         flock(2) guarding metadata changes
//	images/<sha256(name)>.json   one record per image name
//	layers/sha256/<hex>/fs       an unpacked layer, addressed by its diff-id
//	layers/sha256/<hex>/meta.json
//	containers/<id>/{rootfs,upper,work,layers.json}
//	tmp/                         unpacking in progress
//
// A layer directory appears only by rename(2) once it is complete, so a
// layer that exists is whole.
package image
