// Entry of the action's post step (action.yml runs.post). The work is in ../post.ts.
import { runPost } from '../post.js';

await runPost();
