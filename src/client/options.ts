// Option values the subcommands share, parsed as commander reads them (a bad one is a usage error, exit 2).
import { InvalidArgumentError } from 'commander';

export function integer(name: string, min: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be an integer of at least ${min}`);
    return value;
  };
}

export function seconds(text: string): number {
  const value = Number(text);
  if (!(value > 0 && value <= 3600)) throw new InvalidArgumentError('must be a number of seconds in (0, 3600]');
  return value;
}
