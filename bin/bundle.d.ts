/** `entry` (a .ts path) bundled with everything it imports from the repository into a temporary .mjs file; returns its path. */
export function bundleToFile(entry: string, options?: { sourceMaps?: boolean }): Promise<string>;
