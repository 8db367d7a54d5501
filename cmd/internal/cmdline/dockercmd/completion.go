package dockercmd

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/image"
	"github.com/minirun/minirun/internal/atomicfile"
)

// The shell scripts hold no word lists: each asks the hidden command
// __complete for the candidates of the word under the cursor, so commands,
// flags, container names and images are always this build's and this
// store's.

const bashCompletion = `# bash completion for minirun: eval "$(minirun completion bash)"
_minirun() {
	local line=${COMP_LINE:0:COMP_POINT}
	local -a words
	read -ra words <<<"$line"
	[[ $line == *[[:space:]] ]] && words+=("")
	local cur=${words[${#words[@]}-1]}
	local IFS=$'\n'
	COMPREPLY=($("${words[0]}" __complete "${words[@]:1}" 2>/dev/null))
	# A container path (NAME:) is one word to us, two to bash.
	if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
		local prefix=${cur%"${cur##*:}"}
		local i
		for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=${COMPREPLY[i]#"$prefix"}; done
	fi
	[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]] && compopt -o nospace 2>/dev/null
	return 0
}
complete -o default -o bashdefault -F _minirun minirun minirun-docker
`

const zshCompletion = `#compdef minirun minirun-docker
# zsh completion for minirun: source <(minirun completion zsh), or put it in
# $fpath as _minirun.
_minirun() {
	local -a cands
	cands=("${(@f)$(${words[1]} __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
	cands=(${cands:#})
	if (( ${#cands} )); then
		compadd -S '' -a cands
	else
		_files
	fi
}
if [[ $funcstack[1] == _minirun ]]; then
	_minirun "$@"
else
	compdef _minirun minirun minirun-docker
fi
`

const fishCompletion = `# fish completion for minirun: minirun completion fish | source
function __minirun_complete
	set -l tokens (commandline -opc) (commandline -ct)
	$tokens[1] __complete $tokens[2..-1] 2>/dev/null
end
complete -c minirun -a '(__minirun_complete)'
complete -c minirun-docker -a '(__minirun_complete)'
`

// Completion is `completion bash|zsh|fish`.
func Completion() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		ArgsUsage: "bash|zsh|fish",
		Action: func(c *cli.Context) error {
			script := map[string]string{"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion}[c.Args().First()]
			if c.NArg() != 1 || script == "" {
				return fmt.Errorf("completion: name one shell: bash, zsh or fish")
			}
			fmt.Print(script)
			return nil
		},
	}
}

// containerCommands take container names (Docker's form of each).
var containerCommands = map[string]bool{
	"rm": true, "cp": true, "export": true, "exec": true, "kill": true, "state": true,
	"start": true, "stop": true, "restart": true, "logs": true, "wait": true, "inspect": true,
	"pause": true, "resume": true, "unpause": true, "update": true, "top": true, "stats": true,
	"port": true, "delete": true, "ps": true, "events": true,
}

// imageCommands take an image first.
var imageCommands = map[string]bool{"run": true, "create": true, "rmi": true, "tag": true, "push": true, "save": true, "history": true}

// Complete is the hidden `__complete WORD...`: the candidates for the last
// word (the one under the cursor, maybe ""), one a line. Nothing printed
// means the shell completes file names.
func Complete() *cli.Command {
	return &cli.Command{
		Name:            "__complete",
		Usage:           "print completion candidates (the shell scripts of `completion` call it)",
		Hidden:          true,
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			words := c.Args().Slice()
			if len(words) == 0 {
				words = []string{""}
			}
			for _, w := range candidates(c, words) {
				fmt.Println(w)
			}
			return nil
		},
	}
}

func candidates(c *cli.Context, words []string) []string {
	cur := words[len(words)-1]
	app := c.App
	i := 0
	for i < len(words)-1 && strings.HasPrefix(words[i], "-") {
		if takesArg(app.Flags, words[i]) {
			i++
		}
		i++
	}
	var out []string
	if i >= len(words)-1 {
		if strings.HasPrefix(cur, "-") {
			return withPrefix(flagWords(app.Flags), cur)
		}
		for _, cmd := range app.Commands {
			if !cmd.Hidden {
				out = append(out, cmd.Name)
			}
		}
		return withPrefix(out, cur)
	}
	var cmd *cli.Command
	for _, x := range app.Commands {
		if x.HasName(words[i]) {
			cmd = x
		}
	}
	if cmd == nil {
		return nil
	}
	if strings.HasPrefix(cur, "-") {
		return withPrefix(flagWords(cmd.Flags), cur)
	}
	if prev := words[len(words)-2]; strings.HasPrefix(prev, "-") && takesArg(cmd.Flags, prev) {
		return nil // a flag's value: file names
	}
	// Positional arguments so far.
	n := 0
	for j := i + 1; j < len(words)-1; j++ {
		if strings.HasPrefix(words[j], "-") {
			if takesArg(cmd.Flags, words[j]) {
				j++
			}
			continue
		}
		n++
	}
	storeDir := storeOf(c, words[:i])
	switch {
	case cmd.Name == "cp":
		if strings.HasPrefix(cur, "/") || strings.HasPrefix(cur, ".") || strings.Contains(cur, ":") {
			return nil
		}
		for _, name := range containerNames(storeDir) {
			out = append(out, name+":")
		}
	case imageCommands[cmd.Name] && n == 0:
		out = imageNames(storeDir)
	case containerCommands[cmd.Name]:
		out = containerNames(storeDir)
	}
	return withPrefix(out, cur)
}

// takesArg says whether the flag word takes the next word as its value.
func takesArg(flags []cli.Flag, word string) bool {
	if strings.Contains(word, "=") {
		return false
	}
	name := strings.TrimLeft(word, "-")
	for _, f := range flags {
		if f.Names()[0] != "" && containsName(f, name) {
			tf, ok := f.(cli.DocGenerationFlag)
			return ok && tf.TakesValue()
		}
	}
	return false
}

func containsName(f cli.Flag, name string) bool {
	for _, n := range f.Names() {
		if n == name {
			return true
		}
	}
	return false
}

// flagWords are the visible flags' spellings: --long and -s.
func flagWords(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		for _, n := range f.Names() {
			if len(n) == 1 {
				out = append(out, "-"+n)
			} else {
				out = append(out, "--"+n)
			}
		}
	}
	return append(out, "--help")
}

func withPrefix(words []string, prefix string) []string {
	var out []string
	for _, w := range words {
		if strings.HasPrefix(w, prefix) {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// storeOf is the store the completed command line names (--store), or
// this one's (its --store, MINIRUN_STORE or the default).
func storeOf(c *cli.Context, words []string) string {
	for j, w := range words {
		if v, ok := strings.CutPrefix(w, "--store="); ok {
			return v
		}
		if w == "--store" && j+1 < len(words) {
			return words[j+1]
		}
	}
	return c.String("store")
}

// containerNames are the names of the store's containers, and the short
// id of each without one.
func containerNames(storeDir string) []string {
	dir := filepath.Join(storeDir, "containers")
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		var r docker.Record
		if atomicfile.ReadJSON(filepath.Join(dir, e.Name(), "container.json"), &r) != nil {
			continue
		}
		switch {
		case r.Name != "":
			out = append(out, r.Name)
		case len(r.ID) >= 12:
			out = append(out, r.ID[:12])
		}
	}
	return out
}

// imageNames are the store's images.
func imageNames(storeDir string) []string {
	// Completing never makes a store.
	if _, err := os.Stat(filepath.Join(storeDir, "images")); err != nil {
		return nil
	}
	s, err := image.Open(storeDir)
	if err != nil {
		return nil
	}
	imgs, err := s.List()
	if err != nil {
		return nil
	}
	var out []string
	for _, img := range imgs {
		// As a Docker user types it: alpine, alpine:3, me/app:1.
		name := strings.TrimPrefix(img.Name, "docker.io/")
		name = strings.TrimPrefix(name, "library/")
		out = append(out, name)
		if short, ok := strings.CutSuffix(name, ":latest"); ok {
			out = append(out, short)
		}
	}
	return out
}
