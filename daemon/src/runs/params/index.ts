/** Run parameters read from code text, command lines and config files; never executed. */
export { parsePythonLiteral, literalAssignments } from './PythonLiteral';
export { notebookParams } from './NotebookParams';
export { argvParams, configFilesNamed } from './ArgvParams';
export { configFileParams } from './ConfigFileParams';
