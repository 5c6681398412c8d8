// The bundled model's weight file, embedded so it loads with no file system and no network.
// Imported lazily: users who bring their own weights never download these bytes.
import bytes from './default.gz';

export default bytes;
