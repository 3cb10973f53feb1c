import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadStation } from './station-bridge';

contextBridge.exposeInMainWorld('station', createPreloadStation(ipcRenderer));
