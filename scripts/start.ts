import brokerOptions = require('../moleculer.config.js');
import { launchNode } from '../shared/runtime/index.js';

void launchNode(brokerOptions);
