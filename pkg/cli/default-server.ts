/** Where stowctl looks for a server when neither a flag, the environment nor the config names one. */
export const DEFAULT_SERVER = 'http://127.0.0.1:7070';
