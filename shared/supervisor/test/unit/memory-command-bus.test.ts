import { MemoryCommandBus } from '../../memory-command-bus';
import { commandBusContract } from '../command-bus.contract';

commandBusContract('memory', async () => new MemoryCommandBus());
