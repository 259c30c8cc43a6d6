import type { Command } from 'commander';

/**
 * A command module: registers one command (or command group) on the program.
 *
 * @example
 * ```ts
 * export const helloCommand: CommandModule = {
 *   name: 'hello',
 *   register(program) {
 *     program.command('hello').description('Say hello').action(() => console.log('hello'));
 *   },
 * };
 * ```
 */
export interface CommandModule {
  name: string;
  register(program: Command): void;
}
