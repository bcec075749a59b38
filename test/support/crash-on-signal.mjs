// Loaded with --import into a child process under test: SIGUSR2 throws from a
// signal handler, as an unexpected error anywhere in that process would.
process.on('SIGUSR2', () => { throw new Error('a simulated crash'); });
