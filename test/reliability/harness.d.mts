import type { Dump } from '../oracle/oracle.js';

export interface OurDump extends Dump {
  warnings: Array<{ code: string; path: string; message: string }>;
}
export interface PythonReader {
  version: string;
  dump(root: string): Promise<Dump>;
  close(): Promise<void>;
}
export interface Acks {
  runs: Set<string>;
  ended: Set<string>;
  params: Map<string, string>;
  tags: Map<string, string>;
  metrics: Map<string, Set<number>>;
  points: number;
  ops: number;
}
export interface CrashFigures {
  rounds: number;
  kills: number;
  acknowledgedOps: number;
  acknowledgedPoints: number;
  pointsLost: number;
  pythonReads: number;
  ourReads: number;
  strays: number;
  partialLines: number;
}
export interface WriterLog {
  writer: number;
  metrics: Array<[string, string, number]>;
  params: Array<[string, string, string]>;
  tags: Array<[string, string, string]>;
  runs: string[];
}
export declare function mulberry32(seed: number): () => number;
export declare function ourDump(root: string, libDir?: string): Promise<OurDump>;
export declare function startPythonReader(): Promise<PythonReader>;
export declare function dumpErrors(dump: Dump): string[];
export declare function runInfoProblems(run: unknown, experimentId: string): string[];
export declare function newAcks(): Acks;
export declare function recordAckLine(acks: Acks, line: string): void;
export declare function crashRound(args: {
  libDir?: string;
  root: string;
  experimentId: string;
  seed: number;
  base: number;
  killAfterMs: number;
  resume?: string[];
  acks: Acks;
}): Promise<{ lines: number; partialLine: boolean }>;
export declare function checkCrash(dump: Dump, acks: Acks, experimentId: string): { problems: string[]; lost: number; strays: string[] };
export declare function compareDumps(a: Dump, b: Dump): string[];
export declare function crashCampaign(args: {
  root: string;
  rounds: number;
  seed?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  python?: PythonReader;
  libDir?: string;
  onRound?: (r: { round: number; killAfterMs: number }) => void;
}): Promise<{ figures: CrashFigures; problems: string[]; strays: string[]; experimentId: string; acks: Acks }>;
export declare function concurrencyRun(args: {
  root: string;
  ms: number;
  libDir?: string;
  pythonWriters?: number;
  nodeWriters?: number;
}): Promise<{ experimentId: string; shared: string; logs: WriterLog[] }>;
export declare function checkConcurrency(
  dump: Dump,
  logs: WriterLog[],
): { problems: string[]; points: number; lost: number; params: number; tags: number };
