/** The values of `-o`: a module of its own, so the command tree names them without loading the printers. */
export const OUTPUT_FORMATS = ['wide', 'yaml', 'json', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
