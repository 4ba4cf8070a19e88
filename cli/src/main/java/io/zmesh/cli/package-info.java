/**
 * The {@code zmesh} command line: {@link io.zmesh.cli.Main} and one class per command. Commands
 * stay thin: parse, build options, call the broker, SDK or benchmark API, print. Not a library.
 */
package io.zmesh.cli;
