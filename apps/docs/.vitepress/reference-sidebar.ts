/** The generated reference pages. */
export const referenceSidebar: { text: string; items: { text: string; link: string }[] }[] = []
