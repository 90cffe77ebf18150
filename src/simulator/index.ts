export { startSimulator, type Simulator, type SimulatorOptions, type RecordedRequest } from './server.ts';
export { simulateReply, countTokens, servedModelFor, type SimulatedReply } from './reply.ts';
export { type Fault, type FaultType, FAULT_TYPES, faultFromDirective } from './faults.ts';
