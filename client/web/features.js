// The page's plug-in point. Each entry is a module object with
//   name: a short string for logs
//   start(session): called once; see main.js for the session API
// Feature modules (input.js, clipboard.js, resize.js, audio*.js) are imported
// here and listed; main.js imports only this file.
import clipboard from './clipboard.js';
import input from './input.js';
import resize from './resize.js';
import audio from './audio.js';

export default [input, clipboard, resize, audio];
