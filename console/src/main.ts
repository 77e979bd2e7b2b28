import { createPinia } from 'pinia';
import { createApp } from 'vue';
import 'uplot/dist/uPlot.min.css';
import App from './App.vue';
import { createServices, provideServices } from './services.ts';
import './styles.css';

provideServices(createApp(App), createServices()).use(createPinia()).mount('#app');
