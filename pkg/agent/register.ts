/** Node registration lives in the store (a server registers for agents on its API too). */
export { AGENT_ATTRIBUTES, desiredNode, readyStatus, registerNode, type Registration } from '../store/node-register.js';
