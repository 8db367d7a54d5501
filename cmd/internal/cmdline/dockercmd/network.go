package dockercmd

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/network"
)

// Network is `network create|ls|inspect|rm|prune|connect|disconnect`.
func Network() *cli.Command {
	onNets := func(f func(c *cli.Context, ns *network.Store) error) cli.ActionFunc {
		return func(c *cli.Context) error {
			ns, err := docker.NetworkStore(c.String("store"))
			if err != nil {
				return err
			}
			return f(c, ns)
		}
	}
	return &cli.Command{
		Name:  "network",
		Usage: "manage networks: create, ls, inspect, rm, prune, connect, disconnect",
		Subcommands: []*cli.Command{
			{
				Name: "create", Usage: "make a bridge network", ArgsUsage: "NAME",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "subnet", Usage: "the network's IPv4 CIDR (default: the next free /24 of 10.86.0.0/16)"},
					&cli.StringFlag{Name: "gateway", Usage: "the bridge's address (default: the subnet's first)"},
					&cli.StringFlag{Name: "driver", Aliases: []string{"d"}, Value: "bridge", Usage: "only bridge"},
					&cli.BoolFlag{Name: "internal", Usage: "no route out and no NAT"},
					&cli.StringSliceFlag{Name: "label", Usage: "key=value"},
				},
				Action: onNets(func(c *cli.Context, ns *network.Store) error {
					if c.NArg() != 1 {
						return fmt.Errorf("network create: want one name: network create [OPTIONS] NAME")
					}
					if d := c.String("driver"); d != "bridge" {
						return errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("network create: driver %q: minirun has only bridge", d))
					}
					n, err := ns.Create(network.CreateOptions{Name: c.Args().First(), Subnet: c.String("subnet"), Gateway: c.String("gateway"), Internal: c.Bool("internal"), Labels: networkLabels(c.StringSlice("label"))})
					if err != nil {
						return err
					}
					fmt.Println(n.ID)
					return nil
				}),
			},
			{
				Name: "ls", Aliases: []string{"list"}, Usage: "list networks",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}}, &cli.BoolFlag{Name: "no-trunc"}},
				Action: onNets(func(c *cli.Context, ns *network.Store) error {
					nets, err := ns.List()
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
					if !c.Bool("quiet") {
						fmt.Fprintln(w, "NETWORK ID\tNAME\tDRIVER\tSCOPE")
					}
					for _, n := range nets {
						id := n.ID
						if !c.Bool("no-trunc") {
							id = id[:12]
						}
						if c.Bool("quiet") {
							fmt.Fprintln(w, id)
						} else {
							fmt.Fprintf(w, "%s\t%s\t%s\tlocal\n", id, n.Name, n.Driver)
						}
					}
					return w.Flush()
				}),
			},
			{
				Name: "inspect", Usage: "show networks as JSON", ArgsUsage: "NETWORK...",
				Flags: []cli.Flag{&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "a Go template over each network, e.g. '{{.IPAM.Config}}'"}},
				Action: onNets(func(c *cli.Context, ns *network.Store) error {
					if c.NArg() == 0 {
						return fmt.Errorf("network inspect: name at least one network")
					}
					var out []any
					for _, ref := range c.Args().Slice() {
						n, err := ns.Get(ref)
						if err != nil {
							return err
						}
						out = append(out, inspectNetwork(ns, n))
					}
					return printInspected(c.String("format"), out)
				}),
			},
			{
				Name: "rm", Aliases: []string{"remove"}, Usage: "remove networks no container is on", ArgsUsage: "NETWORK...",
				Action: onNets(func(c *cli.Context, ns *network.Store) error {
					if c.NArg() == 0 {
						return fmt.Errorf("network rm: name at least one network")
					}
					for _, ref := range c.Args().Slice() {
						if _, err := ns.Remove(ref); err != nil {
							return err
						}
						fmt.Println(ref)
					}
					return nil
				}),
			},
			{
				Name: "prune", Usage: "remove every user network no container is on",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "accepted for Docker's sake: minirun does not ask"}},
				Action: onNets(func(c *cli.Context, ns *network.Store) error {
					gone, err := ns.Prune()
					if err != nil {
						return err
					}
					if len(gone) > 0 {
						fmt.Println("Deleted Networks:")
						fmt.Println(strings.Join(gone, "\n"))
					}
					return nil
				}),
			},
			{
				Name: "connect", Usage: "put a running container on a network", ArgsUsage: "NETWORK CONTAINER",
				Flags: []cli.Flag{&cli.StringSliceFlag{Name: "alias", Usage: "another name for the container on this network"}},
				Action: onNets(func(c *cli.Context, ns *network.Store) error {
					id, err := runningContainer(c, "network connect")
					if err != nil {
						return err
					}
					return ns.Connect(context.Background(), id, c.Args().Get(0), c.StringSlice("alias"))
				}),
			},
			{
				Name: "disconnect", Usage: "take a container off a network", ArgsUsage: "NETWORK CONTAINER",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}}},
				Action: onNets(func(c *cli.Context, ns *network.Store) error {
					id, err := runningContainer(c, "network disconnect")
					if err != nil {
						return err
					}
					return ns.Disconnect(context.Background(), id, c.Args().Get(0))
				}),
			},
		},
	}
}

// runningContainer resolves connect's and disconnect's CONTAINER.
func runningContainer(c *cli.Context, cmd string) (string, error) {
	if c.NArg() != 2 {
		return "", fmt.Errorf("%s: want NETWORK CONTAINER", cmd)
	}
	s, err := openImageStore(c)
	if err != nil {
		return "", err
	}
	r, err := docker.Find(s.ContainersDir(), c.Args().Get(1))
	if err != nil {
		return "", fmt.Errorf("%s: %w", cmd, err)
	}
	return r.ID, nil
}

func networkLabels(kvs []string) map[string]string {
	if len(kvs) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// inspectNetwork is Docker's shape of `network inspect`, as far as
// minirun has its fields.
func inspectNetwork(ns *network.Store, n *network.Network) map[string]any {
	members, _ := ns.Members(n.Name)
	ctrs := map[string]any{}
	for _, m := range members {
		ctrs[m.ContainerID] = map[string]any{"Name": m.Name, "MacAddress": m.MAC, "IPv4Address": m.IP}
	}
	labels := n.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	return map[string]any{
		"Name": n.Name, "Id": n.ID, "Created": n.Created, "Scope": "local", "Driver": n.Driver,
		"EnableIPv6": false, "Internal": n.Internal,
		"IPAM":       map[string]any{"Driver": "default", "Config": []map[string]string{{"Subnet": n.Subnet, "Gateway": n.Gateway}}},
		"Options":    map[string]string{"com.docker.network.bridge.name": n.Bridge},
		"Containers": ctrs, "Labels": labels,
	}
}
