export declare const REPO_ROOT: string;
export declare const WORKERS: string;
export declare function buildLib(): string;
export declare function libUrl(rel: string): string;
export declare function pythonPath(version?: string): string;
export declare function childEnv(extra?: Record<string, string>): Record<string, string>;
