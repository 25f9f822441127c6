export { Prng } from '@conveyor/testing';
