export { netnsSkipReason } from './netns-skip.js'
export { type CallMatcher, type RecordedCall, RecordingRunner } from './recording-runner.js'
