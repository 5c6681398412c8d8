// Photo preprocessing: any image to a Fashion-MNIST-style 28x28 (see photo.ts).
export { preprocessImage, preprocessWithInfo, MAX_SIDE, type PreprocessInfo, type RawImage } from './photo.ts';
