import { cpus, release, totalmem } from 'node:os';

/** The machine a run was measured on, as the results show it. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  redis: string;
  date: string;
}

/** Describes this machine; `redisVersion` comes from the bench's own redis-server. */
export function machineInfo(redisVersion: string): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
    redis: redisVersion,
    date: new Date().toISOString(),
  };
}

/** One line: `AMD EPYC, 2 cores, 23.4 GiB, linux 6.1, Node v20.20.2, Redis 7.0.15, 2025-...`. */
export function describeMachine(machine: MachineInfo): string {
  return `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, Redis ${machine.redis}, ${machine.date}`;
}
