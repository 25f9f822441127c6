/** A platform process and its start command. */
export interface Service {
  name: 'api' | 'worker' | 'dashboard';
  command: string[];
}
export declare const SERVICES: Service[];
export declare function serviceCommand(name: string): string[];
