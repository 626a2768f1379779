export default function scrub(){ return new URL(import.meta.url).pathname }
