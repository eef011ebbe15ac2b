'use strict';
const { randomBytes } = require('node:crypto');
const { createApp } = require('./app.js');

const secret = process.env.GATEHOUSE_SECRET ?? randomBytes(32).toString('base64url');
createApp(secret).listen(Number(process.env.PORT ?? 3000));
