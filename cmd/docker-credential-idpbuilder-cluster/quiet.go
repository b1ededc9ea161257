package main

// quietly runs a command that reads the cluster through client-go (install,
// status) with os.Stderr quiet for all of it (see quietStderr): client-go
// keeps the stderr it gave an exec plugin for the life of the process, so
// the quiet lasts as long as the command. The command's report goes to the
// stdout it was given and its error to the real stderr, both chosen before.
func quietly(command func() error) error {
	restore, err := quietStderr()
	if err != nil {
		return err
	}
	defer restore()
	return command()
}
