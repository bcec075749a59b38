/**
 * The parsed command line as every command reads it. Its own module so that a
 * command in a file of its own (rehearse.ts) takes it without importing the
 * command table that imports that command.
 */
export type CliValues = { readonly [key: string]: string | boolean | readonly string[] | undefined };
