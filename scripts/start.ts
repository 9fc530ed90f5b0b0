import brokerOptions = require('../moleculer.config.js');
import { launchNode, nodeConfig, superviseChildren } from '../shared/runtime/index.js';

// With CLUSTER_MODE, this process only supervises the broker processes it forks.
if (!superviseChildren(nodeConfig(brokerOptions))) void launchNode(brokerOptions);
